"""GitLab adapter: python-gitlab behind the `GitLabGateway` port."""
