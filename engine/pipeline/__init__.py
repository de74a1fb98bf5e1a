"""The pipeline stage: what the user pointed at, through discovery, loading, resolution, the
graph, the facts and the rules, to one `Evaluation` (engine/pipeline/evaluate.py).

    evaluation = evaluate_check(path, grants_file, policy_dirs)        # `yoi plugin check`
    evaluation = evaluate_workspace(workspace, config_path, policy_dirs)  # list, show, startup
    evaluation, ref = evaluate_target(target, workspace, config_path, policy_dirs)  # explain, graph

Nothing here decides or renders: engine/verdict turns an Evaluation into the typed RunVerdict,
and engine/report renders that.
"""
