"""newsbrief's shared core: platform-neutral, never imports a platform SDK."""

__version__ = "0.1.0"
