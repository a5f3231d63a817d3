//! Publish orchestration: preflight, wave scheduler, journal, resume.
