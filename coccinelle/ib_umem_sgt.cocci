// SPDX-License-Identifier: GPL-2.0-only
/// Use the first-entry helpers of the range-list ib_umem instead of the
/// first entry of its scatterlist: ib_umem_first_dma_addr() for
/// sg_dma_address(), ib_umem_first_page() for sg_page(), and
/// page_address(ib_umem_first_page()) for sg_virt() of
/// umem->sgt_append.sgt.sgl, also through a local struct scatterlist
/// pointer that holds nothing else (its declaration is then dropped).
//# The first entry of the umem's table started at offset 0 of the umem's
//# first page, like the helpers.
///
// Confidence: High
// Keywords: ib_umem, scatterlist, rlist
// Options: --no-includes --include-headers

virtual patch
virtual context
virtual org
virtual report

@initialize:python@
@@

import re

convertible = set()

def note(p):
	if (p.file, p.line, p.column) in convertible:
		return " (MODE=patch converts it)"
	return " (by hand)"

// Directly on the first entry.

@direct depends on patch && !context && !org && !report@
expression U;
@@

(
- sg_dma_address(U->sgt_append.sgt.sgl)
+ ib_umem_first_dma_addr(U)
|
- sg_dma_address(U.sgt_append.sgt.sgl)
+ ib_umem_first_dma_addr(&U)
|
- sg_page(U->sgt_append.sgt.sgl)
+ ib_umem_first_page(U)
|
- sg_page(U.sgt_append.sgt.sgl)
+ ib_umem_first_page(&U)
|
- sg_virt(U->sgt_append.sgt.sgl)
+ page_address(ib_umem_first_page(U))
|
- sg_virt(U.sgt_append.sgt.sgl)
+ page_address(ib_umem_first_page(&U))
)

// Through a local pointer: sg = umem->sgt_append.sgt.sgl; ... sg_*(sg).
// Every use of sg in the function must be one of these.

@var@
identifier fn, sg;
expression U;
position pf, pa;
@@

fn@pf(...) {
<+...
(
sg@pa = U->sgt_append.sgt.sgl
|
sg@pa = U.sgt_append.sgt.sgl
)
...+>
}

@var_ok@
identifier var.sg;
position q;
expression U;
@@

(
sg@q = U->sgt_append.sgt.sgl
|
sg@q = U.sgt_append.sgt.sgl
|
sg_dma_address(sg@q)
|
sg_page(sg@q)
|
sg_virt(sg@q)
)

@var_bad@
identifier var.fn, var.sg;
position pb, q != var_ok.q;
@@

fn@pb(...) {
<+... sg@q ...+>
}

@var_use depends on patch && !context && !org && !report@
identifier var.fn, var.sg;
position pf != var_bad.pb;
expression U;
@@

fn@pf(...) {
... when any
- struct scatterlist *sg;
... when != sg
(
- sg = U->sgt_append.sgt.sgl;
|
- sg = U.sgt_append.sgt.sgl;
)
<...
(
- sg_dma_address(sg)
+ ib_umem_first_dma_addr(U)
|
- sg_page(sg)
+ ib_umem_first_page(U)
|
- sg_virt(sg)
+ page_address(ib_umem_first_page(U))
)
...>
}

// Context, org and report modes: every first-entry access that is left.

@ctx depends on context && !patch && !org && !report@
expression U;
identifier sg;
@@

(
* sg_dma_address(U->sgt_append.sgt.sgl)
|
* sg_dma_address(U.sgt_append.sgt.sgl)
|
* sg_page(U->sgt_append.sgt.sgl)
|
* sg_page(U.sgt_append.sgt.sgl)
|
* sg_virt(U->sgt_append.sgt.sgl)
|
* sg_virt(U.sgt_append.sgt.sgl)
|
* sg = U->sgt_append.sgt.sgl
|
* sg = U.sgt_append.sgt.sgl
)

@rep depends on (org || report) && !patch && !context@
expression U;
identifier f =~ "^sg_(dma_address|page|virt)$";
position p;
@@

f@p(U->sgt_append.sgt.sgl)

@rep_dot depends on (org || report) && !patch && !context@
expression U;
identifier f =~ "^sg_(dma_address|page|virt)$";
position p;
@@

f@p(U.sgt_append.sgt.sgl)

// In report and org modes, the pointers that patch mode removes.
@var_conv depends on (org || report) && !patch && !context@
identifier var.fn, var.sg;
position pf != var_bad.pb, pc;
expression U;
@@

fn@pf(...) {
... when any
struct scatterlist *sg;
... when != sg
(
sg@pc = U->sgt_append.sgt.sgl;
|
sg@pc = U.sgt_append.sgt.sgl;
)
<...
\(sg_dma_address(sg)\|sg_page(sg)\|sg_virt(sg)\)
...>
}

@script:python depends on (org || report)@
pc << var_conv.pc;
@@

for p in pc:
	convertible.add((p.file, p.line, p.column))

@rep_var depends on (org || report) && !patch && !context@
expression U;
identifier sg;
position p;
@@

(
sg@p = U->sgt_append.sgt.sgl
|
sg@p = U.sgt_append.sgt.sgl
)

@script:python depends on report@
p << rep.p;
f << rep.f;
U << rep.U;
@@

U = re.sub(r"\s*(->|\.)\s*", r"\1", U)
h = {"sg_dma_address": "ib_umem_first_dma_addr(%s)",
     "sg_page": "ib_umem_first_page(%s)",
     "sg_virt": "page_address(ib_umem_first_page(%s))"}
coccilib.report.print_report(p[0],
	"WARNING: %s() of the first entry of %s's scatterlist: use %s" %
	(f, U, h[f] % U))

@script:python depends on report@
p << rep_dot.p;
f << rep_dot.f;
U << rep_dot.U;
@@

U = "&" + re.sub(r"\s*(->|\.)\s*", r"\1", U)
h = {"sg_dma_address": "ib_umem_first_dma_addr(%s)",
     "sg_page": "ib_umem_first_page(%s)",
     "sg_virt": "page_address(ib_umem_first_page(%s))"}
coccilib.report.print_report(p[0],
	"WARNING: %s() of the first entry of %s's scatterlist: use %s" %
	(f, U[1:], h[f] % U))

@script:python depends on org@
p << rep_dot.p;
f << rep_dot.f;
@@

coccilib.org.print_todo(p[0], "first entry of a umem's scatterlist: %s()" % f)

@script:python depends on org@
p << rep.p;
f << rep.f;
@@

coccilib.org.print_todo(p[0], "first entry of a umem's scatterlist: %s()" % f)

@script:python depends on report@
p << rep_var.p;
sg << rep_var.sg;
U << rep_var.U;
@@

U = re.sub(r"\s*(->|\.)\s*", r"\1", U)
coccilib.report.print_report(p[0],
	"WARNING: %s points at the first entry of %s's scatterlist: use ib_umem_first_dma_addr() or ib_umem_first_page()%s" %
	(sg, U, note(p[0])))

@script:python depends on org@
p << rep_var.p;
sg << rep_var.sg;
@@

coccilib.org.print_todo(p[0], "%s: first entry of a umem's scatterlist%s" %
			(sg, note(p[0])))
