"""Figures of the study, one file per panel (PNG and PDF)."""
