"""The former home of the mapper, kept so ``from peaceld.mapper import ...`` keeps working.

The mapper lives in ``peaceld.mapping`` (language, compile, generate, run): see
docs/architecture.md.
"""

from .mapping import (
                      CompiledSpec,
                      FieldError,
                      Mapper,
                      Mapping,
                      MappingErrors,
                      MappingSpec,
                      MapStats,
                      Registry,
                      Rule,
                      compile_mapping,
                      explain,
                      iri,
                      load_mapping,
                      map_files,
                      normalise_key,
                      open_mapping,
                      quoted,
                      read_mapping,
                      register_concepts,
                      run_mapping,
                      slug,
)

__all__ = ["CompiledSpec", "FieldError", "MapStats", "Mapper", "Mapping", "MappingErrors",
           "MappingSpec", "Registry", "Rule", "compile_mapping", "explain", "iri", "load_mapping",
           "map_files", "normalise_key", "open_mapping", "quoted", "read_mapping",
           "register_concepts", "run_mapping", "slug"]
