"""The benchmark's tasks (`registry.TASKS`): edgejson, edgeintent, edgefunccall."""

from slmbench.tasks.registry import TASK_NAMES, TASKS, TaskSpec, get_task, resolve

__all__ = ["TASKS", "TASK_NAMES", "TaskSpec", "get_task", "resolve"]
