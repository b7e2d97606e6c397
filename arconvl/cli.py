"""Command line: ``python -m arconvl train ...``, ``sweep CONFIG ...``, ``report``, ``stats --table FILE ...``,
and for a finished run ``predict RUN_DIR INPUT --out FILE`` and ``evaluate RUN_DIR ...``.

Every problem a user can fix (bad arguments, missing or unreadable data, a clashing run
directory) ends in one line on stderr and exit code 2, with nothing written. A run stopped by a
NaN or infinite loss exits with code 3 and leaves RUN_DIR/failed.json (epoch and reason).
"""

import argparse
import os
import sys
from pathlib import Path

from arconvl.backend import import_keras_quietly
from arconvl.data import prepare_run_data
from arconvl.data.catalog import OWN_DATA_NAMES
from arconvl.data.run_data import check_data_dir, class_record, class_table
from arconvl.errors import ArconvlError, ConfigError, NumericalFault
from arconvl.losses.registry import METHODS
from arconvl.run.config import resolve_run_config
from arconvl.run.directory import inspect_run_dir
from arconvl.run.options import RUN_OPTIONS, read_run_options
from arconvl.stats.command import add_stats_parser


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are a single line on stderr (exit code 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _key_value(text):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def path_argument(text):
    """A path given on the command line; an empty one (an unset shell variable) is refused, not
    taken for the current directory."""
    if not text.strip() or "\0" in text:
        raise argparse.ArgumentTypeError(f"expected a path, got {text!r}")
    return Path(text)


def _add_run_options(parser):
    """One command-line option per ``options.RUN_OPTIONS`` entry, with its type, choices and help."""
    for option in RUN_OPTIONS.values():
        if option.kind is bool:
            parser.add_argument(option.flag, dest=option.name, action="store_const", const=True, default=None,
                                help=option.help)
        else:
            parser.add_argument(option.flag, dest=option.name, type=option.kind, choices=option.choices or None,
                                nargs=option.count if option.count > 1 else None, metavar=option.metavar,
                                help=option.help)


def _method_list():
    return "\n".join(f"  {name:<18} {method.description}" for name, method in METHODS.items())


def _add_data_arguments(parser):
    parser.add_argument("--data-dir", type=path_argument, default=None, metavar="DIR|FILE.npz",
                        help="directory holding the standard files; for --dataset folder the image folder "
                        "(DIR/train/CLASS/*.png), for --dataset arrays the .npz file")
    parser.add_argument("--offline", action="store_true", help="never download; fail if no local data")


def build_parser():
    parser = OneLineParser(prog="python -m arconvl", description="ARConvL and its baselines, reproduced.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = commands.add_parser(
        "train",
        help="train one method on a q-imbalanced paper dataset or your own data",
        description="Train one run of the paper's protocol and write RUN_DIR/{run.csv,history.csv,"
        "config.json,best.weights.h5,model.keras}. Your own data: --dataset folder|arrays --data-dir "
        "DIR|FILE.npz (docs/your_data.md). On a finished RUN_DIR, report its result without retraining; "
        "an interrupted one (killed, even with SIGKILL) resumes after its last finished epoch and "
        "ends as an uninterrupted run would.",
        epilog="methods:\n" + _method_list(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("--config", type=path_argument, default=None, metavar="FILE",
                       help="TOML file of run options and [params]; the command line wins over it")
    _add_run_options(train)
    train.add_argument("--param", type=_key_value, action="append", default=[], metavar="KEY=VALUE",
                       help="override a method parameter, e.g. --param gamma=0.1 (repeatable)")
    _add_data_arguments(train)
    train.add_argument("--out", type=path_argument, required=True, metavar="RUN_DIR", help="run directory")
    train.add_argument("--quiet", action="store_true", help="no per-step progress bar, no bar while an image folder "
                       "is checked")
    train.set_defaults(handler=run_train, loads_keras=True)

    sweep = commands.add_parser(
        "sweep",
        help="train every run of an experiment grid (configs/*.toml)",
        description="Expand an experiment config into runs, train the unfinished ones, and append one row "
        "per finished run to RESULTS_DIR/PROFILE/NAME.csv (run directories under "
        "RESULTS_DIR/PROFILE/runs/NAME/). A re-run skips finished runs and retries failed ones. "
        "With --engine ray each run is a Ray task (a run whose worker dies is retried and resumes); "
        "RESULTS_DIR must then be on a file system that every node sees under the same path.",
    )
    sweep.add_argument("config", type=path_argument, help="experiment config (TOML)")
    sweep.add_argument("--profile", default="paper", help="'paper' (the config's top level) or a [profiles.X]")
    sweep.add_argument("--engine", choices=("local", "ray"), default="local",
                       help="'local': train processes on this machine (default); 'ray': one Ray task per run "
                       "(needs pip install -r requirements-ray.txt)")
    sweep.add_argument("--jobs", type=int, default=None, help="local engine: runs at once (default 1)")
    sweep.add_argument("--address", default=None, metavar="ADDR",
                       help="ray engine: the cluster to attach to, e.g. auto or ray://HOST:10001 "
                       "(default: start or attach a local Ray instance)")
    sweep.add_argument("--cpus-per-run", type=float, default=None, metavar="N",
                       help="ray engine: CPUs each run reserves (default 1)")
    sweep.add_argument("--gpus-per-run", type=float, default=None, metavar="N",
                       help="ray engine: GPUs each run reserves; 0.25 lets four runs share a GPU (default 0)")
    sweep.add_argument("--shard", default="0/1", metavar="i/N", help="take runs i, i+N, i+2N, ... (0 <= i < N)")
    sweep.add_argument("--results-dir", type=path_argument, default=Path("results"))
    _add_data_arguments(sweep)
    sweep.add_argument("--dry-run", action="store_true", help="list the runs still to do and exit")
    sweep.set_defaults(handler=run_sweep_command, loads_keras=True)

    report = commands.add_parser(
        "report",
        help="build tables and figures from sweep results",
        description="Read RESULTS_DIR/PROFILE/{table1,table2}.csv (those that exist) and write the named "
        "reports (default: all) into RESULTS_DIR/PROFILE/.",
    )
    report.add_argument("names", nargs="*", metavar="REPORT",
                        help=f"any of: {', '.join(REPORT_NAMES)} (default: all)")
    report.add_argument("--profile", default="paper")
    report.add_argument("--results-dir", type=path_argument, default=Path("results"))
    report.set_defaults(handler=run_report)

    predict = commands.add_parser(
        "predict",
        help="apply a finished run's model to new images",
        description="Predict every image of INPUT (a folder, searched recursively, or an .npz with an array x or "
        "x_test) with the model of RUN_DIR and write one CSV row per image: path (or index), predicted class, "
        "distance to the nearest center, for ARConvL its radius and inside_region (d <= R_j), and the score "
        "-d^2 of every class. Folder images are resized and converted to the model's input as in training.",
    )
    predict.add_argument("run_dir", type=path_argument, metavar="RUN_DIR", help="a finished train --out")
    predict.add_argument("input", type=path_argument, metavar="INPUT", help="a folder of images or an .npz")
    predict.add_argument("--out", type=path_argument, required=True, metavar="FILE.csv", help="the predictions CSV")
    predict.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    predict.add_argument("--quiet", action="store_true", help="no progress bars")
    predict.set_defaults(handler=run_predict, loads_keras=True)

    evaluate = commands.add_parser(
        "evaluate",
        help="evaluate a finished run's model on a labelled test set",
        description="Evaluate the model of RUN_DIR on the test split of a dataset (its test set, or the split drawn "
        "with the run's seed and test fraction when it has none) and write per_class_recall.csv, summary.csv "
        "(G-mean, class-wise accuracy), confusion_matrix.csv and confusion_matrix.png into --out. The data's "
        "class names must be the run's.",
    )
    evaluate.add_argument("run_dir", type=path_argument, metavar="RUN_DIR", help="a finished train --out")
    evaluate.add_argument("--dataset", choices=RUN_OPTIONS["dataset"].choices, default=None,
                          help="default: the run's")
    _add_data_arguments(evaluate)
    evaluate.add_argument("--out", type=path_argument, default=None, metavar="DIR",
                          help="output folder (default: RUN_DIR/evaluation)")
    evaluate.add_argument("--overwrite", action="store_true", help="write into an existing --out")
    evaluate.add_argument("--quiet", action="store_true", help="no progress bars")
    evaluate.set_defaults(handler=run_evaluate, loads_keras=True)

    add_stats_parser(commands)
    return parser


def result_line(row):
    """The final line of a run: test G-mean and class-wise accuracy in %."""
    q = "" if row["dataset"] in OWN_DATA_NAMES else f" q={row['q']}"  # own data: their own imbalance
    return (
        f"{row['dataset']}{q} {row['method']} seed={row['seed']}: "
        f"test G-mean {100 * float(row['test_gmean']):.2f}%, "
        f"class-wise accuracy {100 * float(row['test_classwise_acc']):.2f}% "
        f"(best validation epoch {row['best_epoch']} of {row['epochs']}; last epoch: "
        f"G-mean {100 * float(row['test_gmean_last']):.2f}%, "
        f"class-wise accuracy {100 * float(row['test_classwise_acc_last']):.2f}%)"
    )


def _run_options(args):
    """Run options: the --config file, then the command line (one left out takes its default)."""
    from_file = read_run_options(args.config) if args.config is not None else {}
    params = {**from_file.pop("params", {}), **dict(args.param)}
    options = {**from_file, **{key: getattr(args, key) for key in RUN_OPTIONS if getattr(args, key) is not None}}
    if options.get("dataset") in OWN_DATA_NAMES:
        options.setdefault("q", None)  # no q: resolve_run_config refuses one given
    for key, option in RUN_OPTIONS.items():
        if option.required and key not in options:
            raise ConfigError(f"{option.flag} is required (on the command line or in --config)")
    return options, params


def run_train(args):
    options, params = _run_options(args)
    check_data_dir(args.data_dir, (options["dataset"],))
    config, notes = resolve_run_config(**options, method_overrides=params)
    splits = None
    if config.dataset in OWN_DATA_NAMES:  # the default backbone follows the image size: read the data first
        splits = prepare_run_data(config, args.data_dir, progress=not args.quiet)
        config, notes = resolve_run_config(**options, method_overrides=params, input_shape=splits.input_shape)
    finished, resume = inspect_run_dir(args.out, config)  # everything checked before anything is written
    if finished is not None:
        print(f"{args.out} is finished; not retraining.")
        print(result_line(finished))
        return 0
    if splits is None:
        splits = prepare_run_data(config, args.data_dir, allow_download=not args.offline)
    for note in notes:
        print(f"note: {note}")
    print(f"data: {config.dataset} from {splits.source}; per-class counts before the split "
          f"{list(map(int, splits.counts_before_split))}, training split {list(map(int, splits.train_counts))}")
    print(f"{len(splits.train_counts)} classes, input {'x'.join(map(str, splits.input_shape))}, "
          f"backbone {config.backbone}:")
    for line in class_table(class_record(splits)):
        print(line)

    from arconvl.run.training import train_in_run_dir  # imported here: building a model needs Keras

    verbose = 2 if args.quiet or not sys.stdout.isatty() else 1
    try:
        outcome = train_in_run_dir(config, splits, args.out, resume, verbose=verbose)
    except NumericalFault as fault:
        print(f"python -m arconvl train: run failed at {fault} (recorded in {args.out / 'failed.json'})",
              file=sys.stderr)
        return 3
    if not outcome.trained:
        print(f"{args.out} was finished by another process; not retraining.")
    print(result_line(outcome.row))
    return 0


def run_predict(args):
    from arconvl.run.finished import check_finished_run_dir, check_new_output, read_finished_run
    from arconvl.run.predict import predict_to_csv

    check_finished_run_dir(args.run_dir)  # the cheap checks first
    check_new_output(args.out, args.overwrite, folder=False)
    run = read_finished_run(args.run_dir)
    rows = predict_to_csv(run.model, args.input, args.out, run.class_names, pixel_scale=run.config.pixel_scale,
                          progress=not args.quiet)
    counts = {name: sum(row["predicted"] == name for row in rows) for name in run.class_names}
    print(f"{len(rows)} images predicted: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    if rows and "inside_region" in rows[0]:
        outside = sum(not row["inside_region"] for row in rows)
        print(f"{outside} of {len(rows)} outside the region of their predicted class (d > R_j)")
    print(f"predictions in {args.out}")
    return 0


def run_evaluate(args):
    from arconvl.run.finished import (
        check_data_fits_run,
        check_finished_run_dir,
        check_new_output,
        evaluation_config,
        read_finished_run,
    )
    from arconvl.run.predict import evaluate_to_files

    check_finished_run_dir(args.run_dir)  # the cheap checks first
    out = args.out if args.out is not None else args.run_dir / "evaluation"
    check_new_output(out, args.overwrite, folder=True)
    run = read_finished_run(args.run_dir)
    config = evaluation_config(run, args.dataset or run.config.dataset)
    check_data_dir(args.data_dir, (config.dataset,))
    splits = prepare_run_data(config, args.data_dir, allow_download=not args.offline, progress=not args.quiet)
    check_data_fits_run(splits, run)
    batches = splits.eval_batches("test", batch_size=config.batch_size, pixel_scale=config.pixel_scale)
    evaluation, paths = evaluate_to_files(run.model, batches, splits.labels("test"), run.class_names, out,
                                          title=f"{run.config.method} on {config.dataset}", progress=not args.quiet)
    print(f"test split of {splits.source}: G-mean {100 * evaluation.gmean:.2f}%, "
          f"class-wise accuracy {100 * evaluation.classwise_accuracy:.2f}%")
    width = max(len("class"), *(len(name) for name in run.class_names))
    print(f"  {'class':<{width}}  support  correct  recall")
    for row in evaluation.per_class_rows():
        recall = "-" if row["recall"] == "" else f"{100 * row['recall']:.2f}%"
        print(f"  {row['class']:<{width}}  {row['support']:>7}  {row['correct']:>7}  {recall:>7}")
    for path in paths.values():
        print(path)
    return 0


SWEEP_ENGINE_OPTIONS = {"local": {"jobs": "--jobs"},
                        "ray": {"address": "--address", "cpus_per_run": "--cpus-per-run",
                                "gpus_per_run": "--gpus-per-run"}}


def _sweep_engine(args):
    """(sweep function, the keyword arguments given on the command line) of the chosen engine; an
    option of the other engine is refused."""
    from arconvl.sweep import run_sweep, run_sweep_on_ray

    for engine, options in SWEEP_ENGINE_OPTIONS.items():
        given = [flag for name, flag in options.items() if getattr(args, name) is not None]
        if engine != args.engine and given:
            raise ConfigError(f"{given[0]} is an option of --engine {engine}, not of --engine {args.engine}")
    chosen = {name: getattr(args, name) for name in SWEEP_ENGINE_OPTIONS[args.engine]
              if getattr(args, name) is not None}
    return (run_sweep_on_ray if args.engine == "ray" else run_sweep), chosen


def run_sweep_command(args):
    from arconvl.sweep import load_experiment, parse_shard
    from arconvl.sweep.runner import check_results_dir, pending_runs

    experiment = load_experiment(args.config, args.profile)
    shard = parse_shard(args.shard)
    sweep, engine_options = _sweep_engine(args)
    check_data_dir(args.data_dir, experiment.datasets)
    results_path = args.results_dir / experiment.profile / f"{experiment.name}.csv"
    runs_dir = args.results_dir / experiment.profile / "runs" / experiment.name
    if args.dry_run:
        for run in pending_runs(experiment, results_path, shard):
            print(run.key)
        return 0
    check_results_dir(results_path, runs_dir)
    finished, failed = sweep(experiment, results_path, runs_dir, shard=shard, data_dir=args.data_dir,
                             offline=args.offline, **engine_options)
    print(f"{experiment.name} ({experiment.profile}): {finished} runs finished, {failed} failed; "
          f"results in {results_path}")
    return 1 if failed else 0


REPORT_NAMES = ("table1", "table3", "table2", "table4", "comparison", "fig4", "supp_fig1")
RESULT_EXPERIMENTS = ("table1", "table2")


def run_report(args):
    from arconvl.reports import read_results, write_reports
    from arconvl.run.files import check_writable_dir

    unknown = [name for name in args.names if name not in REPORT_NAMES]
    if unknown:
        raise ConfigError(f"unknown report {unknown[0]!r}; choose from {', '.join(REPORT_NAMES)}")
    folder = args.results_dir / args.profile
    results = {name: read_results(folder / f"{name}.csv")
               for name in RESULT_EXPERIMENTS if os.path.lexists(folder / f"{name}.csv")}
    if not results:
        raise ConfigError(f"no results in {folder} (expected {' or '.join(f'{n}.csv' for n in RESULT_EXPERIMENTS)}); "
                          "run the sweeps first")
    check_writable_dir(folder, "--results-dir")
    try:
        paths = write_reports(results, folder, reports=args.names or REPORT_NAMES)
    except OSError as error:  # a report's file name taken by a directory, a full disk
        raise ConfigError(f"cannot write a report into {folder}: {error.strerror or error} "
                          f"({error.filename})") from None
    if not paths:
        raise ConfigError(f"the results in {folder} hold no runs for {', '.join(args.names or REPORT_NAMES)}")
    for path in paths:
        print(path)
    return 0


def main(argv=None):
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # progress shows up at once in a redirected log
    args = build_parser().parse_args(argv)
    if getattr(args, "loads_keras", False):
        import_keras_quietly()
    try:
        return args.handler(args)
    except ArconvlError as error:
        print(f"python -m arconvl {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
