"""Liaison: the referral network of a ketamine-therapy practice."""
