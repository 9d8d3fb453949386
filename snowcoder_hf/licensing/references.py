"""Short reference texts of the common licences, written as the sentences that tell them apart.

Each reference is a few fragments separated by blank lines. In a fragment, `{}` marks a part that varies
between copies (a holder's name), `||` separates accepted wordings, and a leading `!` makes it required: a
text that lacks it is not that licence (MIT without its notice condition is MIT-0; ISC without it is 0BSD).
Short licences are given whole; long ones by their title and a few sentences that only they contain.
Matching is on normalised words (see `normalize.py`), so case, punctuation, line breaks and markup do not
matter here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    spdx: str
    text: str  # fragments separated by blank lines
    threshold: float = 0.8  # share of the reference's word trigrams a text must contain

    @property
    def fragments(self) -> tuple[str, ...]:
        return tuple(f.strip() for f in re.split(r"\n\s*\n", self.text) if f.strip())


def _join(*parts: str) -> str:
    return "\n\n".join(p.strip() for p in parts)


_MIT_GRANT = """
!permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the software), to deal in the software without restriction, including without limitation
the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the software, and
to permit persons to whom the software is furnished to do so
"""
_MIT_WARRANTY = """
the software is provided as is, without warranty of any kind, express or implied, including but not limited to
the warranties of merchantability, fitness for a particular purpose and noninfringement. in no event shall {} be
liable for any claim, damages or other liability, whether in an action of contract, tort or otherwise, arising
from, out of or in connection with the software or the use or other dealings in the software
"""
_MIT_CONDITION = """
!subject to the following conditions: the above copyright notice and this permission notice shall be included in
all copies or substantial portions of the software
"""
_ISC_GRANT = """
permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is hereby
granted
"""
_ISC_WARRANTY = """
the software is provided as is and the author disclaims all warranties with regard to this software including
all implied warranties of merchantability and fitness. in no event shall the author be liable for any special,
direct, indirect, or consequential damages or any damages whatsoever resulting from loss of use, data or
profits, whether in an action of contract, negligence or other tortious action, arising out of or in connection
with the use or performance of this software
"""
_BSD_CLAUSES = """
redistribution and use in source and binary forms, with or without modification, are permitted provided that the
following conditions are met

redistributions of source code must retain the above copyright notice, this list of conditions and the following
disclaimer

redistributions in binary form must reproduce the above copyright notice, this list of conditions and the
following disclaimer in the documentation and/or other materials provided with the distribution
"""
_BSD_ENDORSE = """
!neither the name of {} nor the names of {} may be used to endorse or promote products derived from this
software without specific prior written permission || the name of {} may not be used to endorse or promote
products derived from this software without specific prior written permission
"""
_BSD_DISCLAIMER = """
this software is provided by {} as is and any express or implied warranties, including, but not limited to, the
implied warranties of merchantability and fitness for a particular purpose are disclaimed. in no event shall {}
be liable for any direct, indirect, incidental, special, exemplary, or consequential damages (including, but not
limited to, procurement of substitute goods or services; loss of use, data, or profits; or business
interruption) however caused and on any theory of liability, whether in contract, strict liability, or tort
(including negligence or otherwise) arising in any way out of the use of this software, even if advised of the
possibility of such damage
"""

REFERENCES: tuple[Reference, ...] = (
    Reference("MIT", _join(_MIT_GRANT, _MIT_CONDITION, _MIT_WARRANTY), threshold=0.55),
    Reference("MIT-0", _join(_MIT_GRANT, _MIT_WARRANTY), threshold=0.85),
    Reference("ISC", _join(_ISC_GRANT, """
!provided that the above copyright notice and this permission notice appear in all copies
""", _ISC_WARRANTY)),
    Reference("0BSD", _join(_ISC_GRANT, _ISC_WARRANTY), threshold=0.85),
    Reference("BSD-2-Clause", _join(_BSD_CLAUSES, _BSD_DISCLAIMER)),
    Reference("BSD-3-Clause", _join(_BSD_CLAUSES, _BSD_ENDORSE, _BSD_DISCLAIMER)),
    Reference("BSD-3-Clause-Clear", _join(_BSD_CLAUSES, _BSD_ENDORSE, """
!no express or implied licenses to any party's patent rights are granted by this license
""", _BSD_DISCLAIMER)),
    Reference("BSD-4-Clause", _join(_BSD_CLAUSES, """
!all advertising materials mentioning features or use of this software must display the following
acknowledgement
""", _BSD_DISCLAIMER)),
    Reference("Zlib", """
this software is provided as-is, without any express or implied warranty. in no event will the authors be held
liable for any damages arising from the use of this software

permission is granted to anyone to use this software for any purpose, including commercial applications, and to
alter it and redistribute it freely, subject to the following restrictions

!the origin of this software must not be misrepresented; you must not claim that you wrote the original
software. if you use this software in a product, an acknowledgment in the product documentation would be
appreciated but is not required

altered source versions must be plainly marked as such, and must not be misrepresented as being the original
software

this notice may not be removed or altered from any source distribution
"""),
    Reference("BSL-1.0", """
!boost software license - version 1.0

permission is hereby granted, free of charge, to any person or organization obtaining a copy of the software and
accompanying documentation covered by this license (the software) to use, reproduce, display, distribute,
execute, and transmit the software, and to prepare derivative works of the software, and to permit third-parties
to whom the software is furnished to do so, all subject to the following

the copyright notices in the software and this entire statement, including the above license grant, this
restriction and the following disclaimer, must be included in all copies of the software, in whole or in part,
and all derivative works of the software, unless such copies or derivative works are solely in the form of
machine-executable object code generated by a source language processor
""", threshold=0.7),
    Reference("Unlicense", """
!this is free and unencumbered software released into the public domain

anyone is free to copy, modify, publish, use, compile, sell, or distribute this software, either in source code
form or as a compiled binary, for any purpose, commercial or non-commercial, and by any means

in jurisdictions that recognize copyright laws, the author or authors of this software dedicate any and all
copyright interest in the software to the public domain

we make this dedication for the benefit of the public at large and to the detriment of our heirs and successors.
we intend this dedication to be an overt act of relinquishment in perpetuity of all present and future rights to
this software under copyright law
""", threshold=0.7),
    Reference("PostgreSQL", """
!permission to use, copy, modify, and distribute this software and its documentation for any purpose, without
fee, and without a written agreement is hereby granted, provided that the above copyright notice and this
paragraph and the following two paragraphs appear in all copies

in no event shall {} be liable to any party for direct, indirect, special, incidental, or consequential damages,
including lost profits, arising out of the use of this software and its documentation, even if {} has been
advised of the possibility of such damage

{} specifically disclaims any warranties, including, but not limited to, the implied warranties of
merchantability and fitness for a particular purpose. the software provided hereunder is on an as is basis, and
{} has no obligations to provide maintenance, support, updates, enhancements, or modifications
"""),
    Reference("Apache-2.0", """
!apache license version 2.0, january 2004

terms and conditions for use, reproduction, and distribution

each contributor hereby grants to you a perpetual, worldwide, non-exclusive, no-charge, royalty-free,
irrevocable copyright license to reproduce, prepare derivative works of, publicly display, publicly perform,
sublicense, and distribute the work and such derivative works in source or object form

you must give any other recipients of the work or derivative works a copy of this license

if the work includes a notice text file as part of its distribution

unless required by applicable law or agreed to in writing, licensor provides the work (and each contributor
provides its contributions) on an as is basis
""", threshold=0.6),
    Reference("MPL-2.0", """
!mozilla public license version 2.0

contributor means each individual or legal entity that creates, contributes to the creation of, or owns covered
software

incompatible with secondary licenses

this source code form is subject to the terms of the mozilla public license, v. 2.0
""", threshold=0.6),
    Reference("MPL-1.1", """
!mozilla public license version 1.1

the contents of this file are subject to the mozilla public license version 1.1
""", threshold=0.6),
    Reference("GPL-1.0-only", """
!gnu general public license version 1, february 1989

the license agreements of most software companies try to keep users at the mercy of those companies
""", threshold=0.6),
    Reference("GPL-2.0-only", """
!gnu general public license version 2, june 1991

the licenses for most software are designed to take away your freedom to share and change it. by contrast, the
gnu general public license is intended to guarantee your freedom to share and change free software

this license applies to any program or other work which contains a notice placed by the copyright holder saying
it may be distributed under the terms of this general public license

you may copy and distribute verbatim copies of the program's source code as you receive it
""", threshold=0.6),
    Reference("GPL-3.0-only", """
!gnu general public license version 3, 29 june 2007

the gnu general public license is a free, copyleft license for software and other kinds of works

the licenses for most software and other practical works are designed to take away your freedom to share and
change the works

this license refers to version 3 of the gnu general public license
""", threshold=0.6),
    Reference("LGPL-2.0-only", """
!gnu library general public license version 2, june 1991

this license, the library general public license, applies to some specially designated free software foundation
software, and to any other libraries whose authors decide to use it
""", threshold=0.6),
    Reference("LGPL-2.1-only", """
!gnu lesser general public license version 2.1, february 1999

this license, the lesser general public license, applies to some specially designated software packages--
typically libraries--of the free software foundation and other authors who decide to use it

this is the first released version of the lesser gpl. it also counts as the successor of the gnu library public
license, version 2, hence the version number 2.1
""", threshold=0.6),
    Reference("LGPL-3.0-only", """
!gnu lesser general public license version 3, 29 june 2007

this version of the gnu lesser general public license incorporates the terms and conditions of version 3 of the
gnu general public license, supplemented by the additional permissions listed below

as used herein, this license refers to version 3 of the gnu lesser general public license, and the gnu gpl
refers to version 3 of the gnu general public license
""", threshold=0.6),
    Reference("AGPL-3.0-only", """
!gnu affero general public license version 3, 19 november 2007

the gnu affero general public license is a free, copyleft license for software and other kinds of works,
specifically designed to ensure cooperation with the community in the case of network server software

remote network interaction; use with the gnu general public license
""", threshold=0.6),
    Reference("CC0-1.0", """
!cc0 1.0 universal

creative commons corporation (creative commons) is not a law firm and does not provide legal services

statement of purpose

the laws of most jurisdictions throughout the world automatically confer exclusive copyright and related rights

to the greatest extent permitted by, but not in contravention of, applicable law, affirmer hereby overtly,
fully, permanently, irrevocably and unconditionally waives
""", threshold=0.6),
    Reference("PSF-2.0", """
python software foundation license version 2

!this license agreement is between the python software foundation (psf), and the individual or organization
(licensee) accessing and otherwise using this software ({}) in source or binary form and its associated
documentation

psf hereby grants licensee a nonexclusive, royalty-free, world-wide license to reproduce, analyze, test, perform
and/or display publicly, prepare derivative works, distribute, and otherwise use {} alone or in any derivative
version
""", threshold=0.6),
    Reference("EPL-2.0", """
!eclipse public license - v 2.0

the accompanying program is provided under the terms of this eclipse public license (agreement). any use,
reproduction or distribution of the program constitutes recipient's acceptance of this agreement

secondary license means either the gnu general public license, version 2.0, or any later versions of that
license
""", threshold=0.6),
    Reference("EPL-1.0", """
!eclipse public license - v 1.0

the accompanying program is provided under the terms of this eclipse public license (agreement). any use,
reproduction or distribution of the program constitutes recipient's acceptance of this agreement
""", threshold=0.6),
    Reference("GFDL-1.2-only", """
!gnu free documentation license version 1.2, november 2002

the purpose of this license is to make a manual, textbook, or other functional and useful document free in the
sense of freedom
""", threshold=0.6),
    Reference("GFDL-1.3-only", """
!gnu free documentation license version 1.3, 3 november 2008

the purpose of this license is to make a manual, textbook, or other functional and useful document free in the
sense of freedom
""", threshold=0.6),
    Reference("Artistic-2.0", """
!the artistic license 2.0

this license establishes the terms under which a given free software package may be copied, modified,
distributed, and/or redistributed

the intent is that the copyright holder maintains some artistic control over the development of that package
while still keeping the package available as open source and free software
""", threshold=0.6),
    Reference("Artistic-1.0-Perl", """
!the artistic license

the intent of this document is to state the conditions under which a package may be copied, such that the
copyright holder maintains some semblance of artistic control over the development of the package
""", threshold=0.7),
)  # fmt: skip
