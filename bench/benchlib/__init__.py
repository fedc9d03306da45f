"""Shared helpers of Magpie's benchmarks: process control, load generators, reporting."""
