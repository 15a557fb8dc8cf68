"""The portal: the platform's pages for people (today the landing page; maps, layers and air quality come with the portal issue)."""
