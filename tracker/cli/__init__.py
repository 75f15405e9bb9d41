"""The ``hoso`` command line: a group per area, exit codes taken from the errors raised."""
