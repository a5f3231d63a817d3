//! The release plan: which packages get which new version. Pure: no I/O, no clock, no env.
