"""The pipeline's stages, one module each: parse, codegen (generate), review, docs."""
