"""B2B checkout and order management: company accounts, carts, quick order, orders."""
