"""A fake Discord for the adapter's tests: real HTTP and websocket on 127.0.0.1:0."""

from tests.discord.fake.rest import Call, Fault
from tests.discord.fake.server import Ack, FakeDiscord, Visible, flatten
from tests.discord.fake.world import FakeChannel, FakeGuild, FakeUser

__all__ = [
    "Ack",
    "Call",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeUser",
    "Fault",
    "Visible",
    "flatten",
]
