//! Rendering CHANGELOG entries from templates.
