"""What people and clients read: HTTP errors and bodies, pages, message texts."""
