"""Licence identification: SPDX ids from licence texts, package metadata and dataset columns.

from snowcoder_hf.licensing import identify_text, normalize_expression, is_permissive
identify_text(open("LICENSE").read()).spdx          # 'BSD-3-Clause'
normalize_expression("Apache Software License")     # 'Apache-2.0'
is_permissive("GPL-2.0-only OR MIT")                 # True
"""

from snowcoder_hf.licensing.identify import LicenseMatch, identify_all, identify_text
from snowcoder_hf.licensing.metadata import (
    LicenseResult,
    dep5_license_text,
    license_from_column,
    license_from_core_metadata,
    license_from_dep5,
    license_from_package_json,
    license_from_pyproject,
    parse_dep5,
)
from snowcoder_hf.licensing.repo import RepoLicenseResolver, is_license_file, license_from_files, repository_files
from snowcoder_hf.licensing.spdx import (
    PERMISSIVE_DEFAULT,
    ExpressionError,
    family,
    is_permissive,
    licence_ids,
    normalize_expression,
    normalize_name,
    parse_expression,
    satisfies,
)

__all__ = [
    "PERMISSIVE_DEFAULT", "ExpressionError", "LicenseMatch", "LicenseResult", "RepoLicenseResolver",
    "dep5_license_text", "family", "identify_all", "identify_text", "is_license_file", "is_permissive",
    "licence_ids", "license_from_column", "license_from_core_metadata", "license_from_dep5",
    "license_from_files", "license_from_package_json", "license_from_pyproject", "normalize_expression",
    "normalize_name", "parse_dep5", "parse_expression", "repository_files", "satisfies",
]  # fmt: skip
