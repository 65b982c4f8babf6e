"""What reads finished jobs for people: report, evaluate, export."""
