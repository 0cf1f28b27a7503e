"""Residents' rights and the data protection officer's records (UU PDP 27/2022): a resident's
export of everything held about them, the record of processing activities, a breach's reach."""
