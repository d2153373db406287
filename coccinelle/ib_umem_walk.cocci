// SPDX-License-Identifier: GPL-2.0-only
/// Walk a umem with the range-list iterators instead of its scatterlist:
///  - a loop over the DMA entries of umem->sgt_append.sgt
///    (for_each_sgtable_dma_sg(), or for_each_sg() over its nents) whose
///    body reads only sg_dma_address() and sg_dma_len() becomes
///    ib_umem_for_each_dma_range(umem, &it) with it.addr and it.len;
///  - a loop over its CPU pages (for_each_sgtable_page() or
///    for_each_sg_page() over its orig_nents, from page 0) whose body
///    reads only sg_page_iter_page() becomes ib_umem_for_each_page(umem,
///    &it) with rlist_cpu_iter_page(&it).
/// The loop variables are replaced with the declaration of the iterator
/// it; the loop index goes when nothing else uses it.
//# Loops are left alone, and reported, when the loop variables are used
//# outside the loop or otherwise in it (e.g. the index), when the
//# function already has something called it, or when the body is not a
//# block.  ib_umem_for_each_dma_range() walks maximal DMA-contiguous
//# ranges: a body that counts entries sees fewer, longer ones.  A loop
//# pointer declared together with other variables (struct scatterlist
//# *sg, *last;) is not removed: W=1 then warns that it is unused.
///
// Confidence: Moderate
// Keywords: ib_umem, scatterlist, rlist, for_each_sgtable_dma_sg, for_each_sgtable_page
// Options: --no-includes --include-headers

virtual patch
virtual context
virtual org
virtual report

@initialize:python@
@@

import re

convertible = set()

def umem(u):
	return re.sub(r"\s*(->|\.)\s*", r"\1", u)

def advice(f):
	if f in ("for_each_sgtable_dma_sg", "for_each_sg"):
		return "ib_umem_for_each_dma_range()"
	if f in ("for_each_sgtable_dma_page", "for_each_sg_dma_page"):
		return "rdma_umem_for_each_dma_block()"
	return "ib_umem_for_each_page()"

def note(p):
	if (p.file, p.line, p.column) in convertible:
		return " (MODE=patch converts it)"
	return " (by hand)"

// ---------------------------------------------------------------------
// DMA range walks

@dl@
iterator name for_each_sgtable_dma_sg, for_each_sg;
identifier fn, sg, i;
expression U;
statement S;
@@

fn(...) {
<+...
(
for_each_sgtable_dma_sg(&U->sgt_append.sgt, sg, i) S
|
for_each_sgtable_dma_sg(&U.sgt_append.sgt, sg, i) S
|
for_each_sg(U->sgt_append.sgt.sgl, sg, U->sgt_append.sgt.nents, i) S
|
for_each_sg(U.sgt_append.sgt.sgl, sg, U.sgt_append.sgt.nents, i) S
)
...+>
}

// The uses of the loop variables that the conversion handles.
@dl_ok@
identifier dl.sg, dl.i;
expression U;
statement S;
position q, q2;
@@

(
for_each_sgtable_dma_sg(&U->sgt_append.sgt, sg@q, i@q2) S
|
for_each_sgtable_dma_sg(&U.sgt_append.sgt, sg@q, i@q2) S
|
for_each_sg(U->sgt_append.sgt.sgl, sg@q, U->sgt_append.sgt.nents, i@q2) S
|
for_each_sg(U.sgt_append.sgt.sgl, sg@q, U.sgt_append.sgt.nents, i@q2) S
|
sg_dma_address(sg@q)
|
sg_dma_len(sg@q)
)

@dl_bad@
identifier dl.fn, dl.sg, dl.i;
position pb, q != {dl_ok.q, dl_ok.q2};
@@

fn@pb(...) {
<+... \(sg@q\|i@q\) ...+>
}

// The function must not have an it of its own.
@dl_clash@
identifier dl.fn;
symbol it;
position pb;
@@

fn@pb(...) {
<+... it ...+>
}

@dl_clash2@
identifier dl.fn;
symbol it;
type T;
position pb;
@@

fn@pb(...) {
<+... T it; ...+>
}

// In report and org modes, the loops that patch mode converts.
@dl_conv depends on (org || report) && !patch && !context@
identifier dl.fn, dl.sg, dl.i;
expression U;
statement S;
position pf != {dl_bad.pb, dl_clash.pb, dl_clash2.pb}, pc;
@@

fn@pf(...) {
<...
(
for_each_sgtable_dma_sg@pc(&U->sgt_append.sgt, sg, i) S
|
for_each_sgtable_dma_sg@pc(&U.sgt_append.sgt, sg, i) S
|
for_each_sg@pc(U->sgt_append.sgt.sgl, sg, U->sgt_append.sgt.nents, i) S
|
for_each_sg@pc(U.sgt_append.sgt.sgl, sg, U.sgt_append.sgt.nents, i) S
)
...>
}

@script:python depends on (org || report)@
pc << dl_conv.pc;
@@

for p in pc:
	convertible.add((p.file, p.line, p.column))

@dl_patch depends on patch && !context && !org && !report@
identifier dl.fn, dl.sg, dl.i;
iterator name ib_umem_for_each_dma_range;
symbol it;
expression U;
statement S;
position pf != {dl_bad.pb, dl_clash.pb, dl_clash2.pb};
@@

fn@pf(...) {
<...
(
- for_each_sgtable_dma_sg(&U->sgt_append.sgt, sg, i)
+ ib_umem_for_each_dma_range(U, &it)
  S
|
- for_each_sgtable_dma_sg(&U.sgt_append.sgt, sg, i)
+ ib_umem_for_each_dma_range(&U, &it)
  S
|
- for_each_sg(U->sgt_append.sgt.sgl, sg, U->sgt_append.sgt.nents, i)
+ ib_umem_for_each_dma_range(U, &it)
  S
|
- for_each_sg(U.sgt_append.sgt.sgl, sg, U.sgt_append.sgt.nents, i)
+ ib_umem_for_each_dma_range(&U, &it)
  S
)
...>
}

@dl_body depends on patch && !context && !org && !report@
identifier dl.fn, dl.sg;
symbol it;
expression U;
@@

fn(...) {
<...
ib_umem_for_each_dma_range(U, &it) {
<...
(
- sg_dma_address(sg)
+ it.addr
|
- sg_dma_len(sg)
+ it.len
)
...>
}
...>
}

// The functions converted above, and their declarations.
@dl_done depends on patch && !context && !org && !report@
identifier dl.fn;
symbol it;
expression U;
statement S;
position pf;
@@

fn@pf(...) {
<+... ib_umem_for_each_dma_range(U, &it) S ...+>
}

@dl_decl depends on patch && !context && !org && !report@
identifier dl.fn, dl.sg;
symbol it;
expression E;
position dl_done.pf;
@@

fn@pf(...) {
... when any
(
- struct scatterlist *sg;
+ struct rlist_dma_iter it;
|
- struct scatterlist *sg = E;
+ struct rlist_dma_iter it;
)
... when != sg
}

// No declaration of the pointer to replace (it was shared, or a
// parameter): declare the iterator first thing.
@dl_done3 depends on patch && !context && !org && !report@
identifier dl.fn;
symbol it;
expression U;
statement S;
position pf;
@@

fn@pf(...) {
<+... ib_umem_for_each_dma_range(U, &it) S ...+>
}

@dl_has depends on patch && !context && !org && !report@
identifier dl.fn;
symbol it;
position ph;
@@

fn@ph(...) {
<+... struct rlist_dma_iter it; ...+>
}

@dl_add depends on patch && !context && !org && !report@
identifier dl.fn;
symbol it;
position dl_done3.pf;
position ph != dl_has.ph;
@@

fn@pf@ph(...) {
+ struct rlist_dma_iter it;
...
}

@dl_done2 depends on patch && !context && !org && !report@
identifier dl.fn;
symbol it;
expression U;
statement S;
position pf;
@@

fn@pf(...) {
<+... ib_umem_for_each_dma_range(U, &it) S ...+>
}

@dl_idx depends on patch && !context && !org && !report@
identifier dl.fn, dl.i;
type T;
constant C;
position dl_done2.pf;
@@

fn@pf(...) {
... when any
(
- T i;
|
- T i = C;
)
... when != i
}

// ---------------------------------------------------------------------
// CPU page walks

@pl@
iterator name for_each_sgtable_page, for_each_sg_page;
identifier fn, pi;
expression U;
statement S;
@@

fn(...) {
<+...
(
for_each_sgtable_page(&U->sgt_append.sgt, &pi, 0) S
|
for_each_sgtable_page(&U.sgt_append.sgt, &pi, 0) S
|
for_each_sg_page(U->sgt_append.sgt.sgl, &pi, U->sgt_append.sgt.orig_nents, 0) S
|
for_each_sg_page(U.sgt_append.sgt.sgl, &pi, U.sgt_append.sgt.orig_nents, 0) S
)
...+>
}

@pl_ok@
identifier pl.pi;
expression U;
statement S;
position q;
@@

(
for_each_sgtable_page(&U->sgt_append.sgt, &pi@q, 0) S
|
for_each_sgtable_page(&U.sgt_append.sgt, &pi@q, 0) S
|
for_each_sg_page(U->sgt_append.sgt.sgl, &pi@q, U->sgt_append.sgt.orig_nents, 0) S
|
for_each_sg_page(U.sgt_append.sgt.sgl, &pi@q, U.sgt_append.sgt.orig_nents, 0) S
|
sg_page_iter_page(&pi@q)
)

@pl_bad@
identifier pl.fn, pl.pi;
position pb, q != pl_ok.q;
@@

fn@pb(...) {
<+... pi@q ...+>
}

@pl_clash@
identifier pl.fn;
symbol it;
position pb;
@@

fn@pb(...) {
<+... it ...+>
}

@pl_clash2@
identifier pl.fn;
symbol it;
type T;
position pb;
@@

fn@pb(...) {
<+... T it; ...+>
}

@pl_conv depends on (org || report) && !patch && !context@
identifier pl.fn, pl.pi;
expression U;
statement S;
position pf != {pl_bad.pb, pl_clash.pb, pl_clash2.pb}, pc;
@@

fn@pf(...) {
<...
(
for_each_sgtable_page@pc(&U->sgt_append.sgt, &pi, 0) S
|
for_each_sgtable_page@pc(&U.sgt_append.sgt, &pi, 0) S
|
for_each_sg_page@pc(U->sgt_append.sgt.sgl, &pi, U->sgt_append.sgt.orig_nents, 0) S
|
for_each_sg_page@pc(U.sgt_append.sgt.sgl, &pi, U.sgt_append.sgt.orig_nents, 0) S
)
...>
}

@script:python depends on (org || report)@
pc << pl_conv.pc;
@@

for p in pc:
	convertible.add((p.file, p.line, p.column))

@pl_patch depends on patch && !context && !org && !report@
identifier pl.fn, pl.pi;
iterator name ib_umem_for_each_page;
symbol it;
expression U;
statement S;
position pf != {pl_bad.pb, pl_clash.pb, pl_clash2.pb};
@@

fn@pf(...) {
<...
(
- for_each_sgtable_page(&U->sgt_append.sgt, &pi, 0)
+ ib_umem_for_each_page(U, &it)
  S
|
- for_each_sgtable_page(&U.sgt_append.sgt, &pi, 0)
+ ib_umem_for_each_page(&U, &it)
  S
|
- for_each_sg_page(U->sgt_append.sgt.sgl, &pi, U->sgt_append.sgt.orig_nents, 0)
+ ib_umem_for_each_page(U, &it)
  S
|
- for_each_sg_page(U.sgt_append.sgt.sgl, &pi, U.sgt_append.sgt.orig_nents, 0)
+ ib_umem_for_each_page(&U, &it)
  S
)
...>
}

@pl_body depends on patch && !context && !org && !report@
identifier pl.fn, pl.pi;
symbol it;
expression U;
@@

fn(...) {
<...
ib_umem_for_each_page(U, &it) {
<...
- sg_page_iter_page(&pi)
+ rlist_cpu_iter_page(&it)
...>
}
...>
}

@pl_done depends on patch && !context && !org && !report@
identifier pl.fn;
symbol it;
expression U;
statement S;
position pf;
@@

fn@pf(...) {
<+... ib_umem_for_each_page(U, &it) S ...+>
}

@pl_decl depends on patch && !context && !org && !report@
identifier pl.fn, pl.pi;
symbol it;
position pl_done.pf;
@@

fn@pf(...) {
... when any
- struct sg_page_iter pi;
+ struct rlist_cpu_iter it;
... when != pi
}

@pl_done2 depends on patch && !context && !org && !report@
identifier pl.fn;
symbol it;
expression U;
statement S;
position pf;
@@

fn@pf(...) {
<+... ib_umem_for_each_page(U, &it) S ...+>
}

@pl_has depends on patch && !context && !org && !report@
identifier pl.fn;
symbol it;
position ph;
@@

fn@ph(...) {
<+... struct rlist_cpu_iter it; ...+>
}

@pl_add depends on patch && !context && !org && !report@
identifier pl.fn;
symbol it;
position pl_done2.pf;
position ph != pl_has.ph;
@@

fn@pf@ph(...) {
+ struct rlist_cpu_iter it;
...
}

// ---------------------------------------------------------------------
// Context, org and report modes: every walk of a umem's scatterlist.

@ctx depends on context && !patch && !org && !report@
iterator name for_each_sgtable_dma_sg, for_each_sgtable_sg, for_each_sg;
iterator name for_each_sgtable_page, for_each_sgtable_dma_page;
iterator name for_each_sg_page, for_each_sg_dma_page;
expression U;
expression list es;
statement S;
@@

(
* for_each_sgtable_dma_sg(&U->sgt_append.sgt, es) S
|
* for_each_sgtable_sg(&U->sgt_append.sgt, es) S
|
* for_each_sgtable_page(&U->sgt_append.sgt, es) S
|
* for_each_sgtable_dma_page(&U->sgt_append.sgt, es) S
|
* for_each_sg(U->sgt_append.sgt.sgl, es) S
|
* for_each_sg_page(U->sgt_append.sgt.sgl, es) S
|
* for_each_sg_dma_page(U->sgt_append.sgt.sgl, es) S
|
* for_each_sgtable_dma_sg(&U.sgt_append.sgt, es) S
|
* for_each_sgtable_sg(&U.sgt_append.sgt, es) S
|
* for_each_sgtable_page(&U.sgt_append.sgt, es) S
|
* for_each_sgtable_dma_page(&U.sgt_append.sgt, es) S
|
* for_each_sg(U.sgt_append.sgt.sgl, es) S
|
* for_each_sg_page(U.sgt_append.sgt.sgl, es) S
|
* for_each_sg_dma_page(U.sgt_append.sgt.sgl, es) S
|
* __sg_page_iter_start(es, U->sgt_append.sgt.sgl, ...)
|
* __sg_page_iter_start(es, U.sgt_append.sgt.sgl, ...)
)

@rep depends on (org || report) && !patch && !context@
iterator name for_each_sgtable_dma_sg, for_each_sgtable_sg, for_each_sg;
iterator name for_each_sgtable_page, for_each_sgtable_dma_page;
iterator name for_each_sg_page, for_each_sg_dma_page;
identifier f;
expression U;
expression list es;
statement S;
position p;
@@

(
for_each_sgtable_dma_sg@f@p(&U->sgt_append.sgt, es) S
|
for_each_sgtable_sg@f@p(&U->sgt_append.sgt, es) S
|
for_each_sgtable_page@f@p(&U->sgt_append.sgt, es) S
|
for_each_sgtable_dma_page@f@p(&U->sgt_append.sgt, es) S
|
for_each_sg@f@p(U->sgt_append.sgt.sgl, es) S
|
for_each_sg_page@f@p(U->sgt_append.sgt.sgl, es) S
|
for_each_sg_dma_page@f@p(U->sgt_append.sgt.sgl, es) S
|
for_each_sgtable_dma_sg@f@p(&U.sgt_append.sgt, es) S
|
for_each_sgtable_sg@f@p(&U.sgt_append.sgt, es) S
|
for_each_sgtable_page@f@p(&U.sgt_append.sgt, es) S
|
for_each_sgtable_dma_page@f@p(&U.sgt_append.sgt, es) S
|
for_each_sg@f@p(U.sgt_append.sgt.sgl, es) S
|
for_each_sg_page@f@p(U.sgt_append.sgt.sgl, es) S
|
for_each_sg_dma_page@f@p(U.sgt_append.sgt.sgl, es) S
|
__sg_page_iter_start@f@p(es, U->sgt_append.sgt.sgl, ...)
|
__sg_page_iter_start@f@p(es, U.sgt_append.sgt.sgl, ...)
)

@script:python depends on report@
p << rep.p;
f << rep.f;
U << rep.U;
@@

coccilib.report.print_report(p[0],
	"WARNING: %s() on the scatterlist of %s: use %s%s" %
	(f, umem(U), advice(f), note(p[0])))

@script:python depends on org@
p << rep.p;
f << rep.f;
@@

coccilib.org.print_todo(p[0], "%s() on a umem's scatterlist: use %s%s" %
			(f, advice(f), note(p[0])))
