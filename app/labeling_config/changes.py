"""Which configuration changes would orphan existing annotations."""
from .model import LABELLED_TYPES


def removed_in_use(old, new, used):
    """Messages for each control or value that annotations use but ``new`` drops or retypes; empty when allowed.

    ``used`` maps a control name to the label/choice values existing annotations hold for it.
    """
    problems = []
    for name in sorted(used):
        control = new.controls.get(name)
        before = old.controls.get(name)
        if control is None:
            problems.append(f'Control "{name}" is used by existing annotations and cannot be removed')
            continue
        if before is not None and before.result_type != control.result_type:
            problems.append(f'Control "{name}" is used by existing annotations and cannot change from '
                            f"<{before.type}> to <{control.type}>")
            continue
        if before is not None:
            for target in before.to_name:
                if target not in control.to_name:
                    problems.append(f'Control "{name}" is used by existing annotations on "{target}" and must keep '
                                    f'toName="{target}"')
        # Dynamic options (value="$options") come from the tasks, so the config cannot drop them.
        if control.result_type in LABELLED_TYPES and "value" not in control.attrs:
            for value in sorted(used[name] or ()):
                if value not in control.labels:
                    problems.append(f'Label "{value}" of "{name}" is used by existing annotations and cannot be removed')
    return problems
