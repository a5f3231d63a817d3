//! Building npm-identical tarballs: packlist rules, tar bytes, integrity, publish-time manifest.
