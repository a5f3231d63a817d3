//! The npm registry client: `.npmrc`, auth, packuments, publish, dist-tags, retry policy.
