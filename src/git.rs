//! Git reads (git2) and writes (the `git` CLI, so hooks, signing and credentials behave).
