"""The follower side of a WeChat channel (issue 15): followers' messages in an inbox per channel,
answered by customer-service message inside the platform's 48-hour window; their retention; and
the platform's figures (datacube) per article and day. Importing the package registers the
handler of text messages with cms/callbacks (which must not import this package)."""
from cms.callbacks import handlers as _handlers


def _on_text(event) -> bool:
    from cms.followers.operations import store_message

    return store_message(event)


_handlers.register("text", _on_text)
