"""Training in NumPy on the core's gradients: the optimiser and one training step (the Train page's engine)."""
from .adam import Adam, parameter_arrays, train_step

__all__ = ["Adam", "parameter_arrays", "train_step"]
