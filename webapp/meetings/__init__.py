"""B2B meetings at an event: slots × tables, meeting profiles, requests and answers."""
