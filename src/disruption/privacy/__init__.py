"""Data protection: erasing a child's personal data, retention, and subject access."""
