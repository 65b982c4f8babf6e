"""`evaluate`: calibration, OOD detection and adversarial robustness of finished jobs (above ensembles, below reports)."""
