import shlex

from mirlab.data.cache import DatasetPaths
from mirlab.families.registry import get_family
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    get_family(**snakemake.params.family).load_jobs().train(
        snakemake.params.experiment,
        int(snakemake.wildcards.seed),
        [(DatasetPaths.from_mapping(paths), part) for paths, part in snakemake.params.train],
        [(DatasetPaths.from_mapping(paths), part) for paths, part in snakemake.params.valid],
        snakemake.params.work_dir,
        snakemake.output[0],
        command=f"snakemake {shlex.quote(snakemake.output[0])}",
        excerpts=snakemake.params.excerpts,
    )
