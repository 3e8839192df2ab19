"""Learning layer, family-neutral: training windows over the on-disk cache and the training
loop (checkpoints, resume, validation, best models, TensorBoard).
"""
