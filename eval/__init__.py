"""Evaluations that measure Loopgate's judgement against labelled data (`make eval`)."""
