//! The package graph (petgraph): typed edges, topological waves, cycles.
