"""Work groups (工作群, G1-G12): the registry of filed groups, members, deadlines and
acknowledgements. At import it registers its handlers with cms/auth/hooks.py, so that a departure
or a department change (cms/auth, which imports nothing of this package) makes the removal tasks
(G6) in the same transaction."""
from cms.auth import hooks


def _departed(user, at):
    from cms.groups.operations import on_departure

    on_departure(user, at)


def _transferred(user, old_department_id, at):
    from cms.groups.operations import on_transfer

    on_transfer(user, old_department_id, at)


hooks.register_departure(_departed)
hooks.register_transfer(_transferred)
