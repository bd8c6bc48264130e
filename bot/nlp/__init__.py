"""Pure text work: cleaning, sentences, summaries, quotes, answers; no network or store code."""
