"""Load generators and figures for one portal node; not part of the test suite (see README.md)."""
