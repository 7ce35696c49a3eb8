"""Training in NumPy on the core's gradients: the optimiser and one training step (the Train page's engine)."""
from .adam import Adam, parameter_arrays, train_step

__all__ = ["Adam", "parameter_arrays", "train_step"]
from .tasks import TASKS, Task, batch, get_task
from .train import Run, accuracy, start

__all__ += ["TASKS", "Task", "batch", "get_task", "Run", "accuracy", "start"]
