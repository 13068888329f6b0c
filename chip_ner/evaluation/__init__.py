"""Measuring the pipeline: dev evaluation, cross-validation and learning curve, script test, rule
baselines, the scorer, speed, the segmenter comparison and the generated report."""
