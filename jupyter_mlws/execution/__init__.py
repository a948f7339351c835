"""Running code: the run executor, its detached supervisor, environment builds (uv), and the
translation of conda specifications to pip requirements.

Nothing heavy is imported here: the supervisor process imports this package on its way to
starting a user's script, and every millisecond counts towards submit -> script running.
"""
