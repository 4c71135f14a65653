"""The declarative mapper: mapping files (YAML) that turn facts and CSV rows into N-Quads.
``language`` reads, checks a file; ``compile``, ``generate`` build row functions, ``run`` maps."""

from .compile import CompiledSpec, Mapping, Rule, compile_mapping, load_mapping
from .errors import FieldError, MappingErrors
from .generate import explain
from .language import MappingSpec, read_mapping
from .registry import Registry
from .run import Mapper, MapStats, map_files, open_mapping, register_concepts, run_mapping
from .terms import iri, normalise_key, quoted, slug

__all__ = ["CompiledSpec", "FieldError", "MapStats", "Mapper", "Mapping", "MappingErrors",
           "MappingSpec", "Registry", "Rule", "compile_mapping", "explain", "iri", "load_mapping",
           "map_files", "normalise_key", "open_mapping", "quoted", "read_mapping",
           "register_concepts", "run_mapping", "slug"]
