"""Device-specific speed code; only `fused_eval` (opt-in) can change a recorded number."""
