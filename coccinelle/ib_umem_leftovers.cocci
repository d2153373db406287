// SPDX-License-Identifier: GPL-2.0-only
/// Find any access to the scatterlist of a struct ib_umem: since the umem
/// keeps its memory in range lists (cpu_list, dma_list), its sgt_append
/// table (and the sg_head of older kernels) is gone.  Use the ib_umem
/// helpers: ib_umem_first_dma_addr(), ib_umem_first_page(),
/// ib_umem_for_each_dma_range(), ib_umem_for_each_page(),
/// rdma_umem_for_each_dma_block(), ib_umem_find_best_pgsz() and
/// ib_umem_copy_from().  ib_umem_sgt.cocci and ib_umem_walk.cocci
/// convert the common cases.
//# Report only: there is nothing to rewrite to in general.  sg_head is
//# reported when the expression is a struct ib_umem or its text names a
//# umem (other subsystems have sg_head fields too).
///
// Confidence: High
// Keywords: ib_umem, scatterlist, sgt_append, sg_head, rlist
// Options: --no-includes --include-headers

virtual patch
virtual context
virtual org
virtual report

@initialize:python@
@@

import re

MSG_FLD = "ERROR: struct ib_umem still has sgt_append"

def umem(u):
	return re.sub(r"\s*(->|\.)\s*", r"\1", u)

def msg_acc(e, field):
	return ("ERROR: scatterlist of a umem: %s%s is gone, use the ib_umem range-list helpers" %
		(umem(e), field))

// Every field access, including the tables handed to for_each_sg*(),
// __sg_page_iter_start() or a helper.
@acc@
expression E;
position p;
@@

E->sgt_append@p

@acc_dot@
expression E;
position p;
@@

E.sgt_append@p

// The table still declared in struct ib_umem.
@fld@
identifier f = sgt_append;
type T;
position p;
@@

struct ib_umem {
	...
	T f@p;
	...
};

@sgh_typed@
struct ib_umem *U;
position p;
@@

U->sg_head@p

@sgh@
expression E;
position p != sgh_typed.p;
@@

(
E->sg_head@p
|
E.sg_head@p
)

@ctx depends on context && !patch && !org && !report@
expression E;
@@

(
* E->sgt_append
|
* E.sgt_append
|
* E->sg_head
|
* E.sg_head
)

@script:python depends on report@
p << acc.p;
E << acc.E;
@@

coccilib.report.print_report(p[0], msg_acc(E, "->sgt_append"))

@script:python depends on org@
p << acc.p;
E << acc.E;
@@

coccilib.org.print_todo(p[0], msg_acc(E, "->sgt_append"))

@script:python depends on report@
p << acc_dot.p;
E << acc_dot.E;
@@

coccilib.report.print_report(p[0], msg_acc(E, ".sgt_append"))

@script:python depends on org@
p << acc_dot.p;
E << acc_dot.E;
@@

coccilib.org.print_todo(p[0], msg_acc(E, ".sgt_append"))

@script:python depends on report@
p << fld.p;
@@

coccilib.report.print_report(p[0], MSG_FLD)

@script:python depends on org@
p << fld.p;
@@

coccilib.org.print_todo(p[0], MSG_FLD)

@script:python depends on report@
p << sgh_typed.p;
U << sgh_typed.U;
@@

coccilib.report.print_report(p[0], msg_acc(U, "->sg_head"))

@script:python depends on org@
p << sgh_typed.p;
U << sgh_typed.U;
@@

coccilib.org.print_todo(p[0], msg_acc(U, "->sg_head"))

@script:python depends on report@
p << sgh.p;
E << sgh.E;
@@

if "umem" in E:
	coccilib.report.print_report(p[0], msg_acc(E, "->sg_head"))

@script:python depends on org@
p << sgh.p;
E << sgh.E;
@@

if "umem" in E:
	coccilib.org.print_todo(p[0], msg_acc(E, "->sg_head"))
