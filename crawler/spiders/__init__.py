"""edcat's Scrapy spiders."""

from crawler.spiders.tools import ToolSpider, ToolTarget

__all__ = ["ToolSpider", "ToolTarget"]
