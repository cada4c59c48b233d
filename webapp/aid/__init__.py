"""De minimis aid: declarations, grants, tallies, certificates and the register export."""
