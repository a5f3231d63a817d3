//! Change files (`.changeset/*.md`) and pre-mode state, in changesets' format.
