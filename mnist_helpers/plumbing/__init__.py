"""Nothing here teaches: guards around the lessons (the process, signals, files), each module opening with what it guards."""
