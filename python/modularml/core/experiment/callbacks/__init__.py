"""The phase-callback base class and its dispatcher."""
