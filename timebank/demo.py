"""Demo timebank data (issue 2). `seed(stdout)` returns [(role, username, password)]."""


def seed(*, stdout):
    return []
