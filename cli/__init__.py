"""The `edcat` command line: a thin layer over crawler/, classifier/ and catalogue/."""
