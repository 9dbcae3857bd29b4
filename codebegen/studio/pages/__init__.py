"""The studio's pages, one module each: Generate (with Versions), History, Export, Preview, Account.

Each module owns the widgets and handlers of its page; ``codebegen.studio.app`` lays them out.
"""
