"""Personal data protection (UU PDP 27/2022): every read of a resident's data accounted for."""
